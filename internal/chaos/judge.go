package chaos

import "fmt"

// JudgeStream checks a client's numbered stream (accepted: the seqs send
// took, in order) as the server received it, socket by socket in the order
// they opened (perConn). Each must arrive once and in order; a gap right
// before a new socket is what was in flight when the previous one died
// (inFlight), a gap inside one socket is a loss. bad lists the violations.
func JudgeStream(accepted []int, perConn [][]int) (delivered, inFlight int, bad []string) {
	index := make(map[int]int, len(accepted))
	for i, s := range accepted {
		index[s] = i
	}
	seen := map[int]bool{}
	last := -1 // index in accepted of the last delivered message
	for c, seqs := range perConn {
		for j, s := range seqs {
			i, ok := index[s]
			switch {
			case !ok:
				bad = append(bad, fmt.Sprintf("seq %d delivered but never accepted", s))
			case seen[s]:
				bad = append(bad, fmt.Sprintf("seq %d delivered twice", s))
			case i < last:
				bad = append(bad, fmt.Sprintf("seq %d delivered after a later one", s))
			case i > last+1 && j > 0:
				// a gap inside one socket: those messages vanished silently
				bad = append(bad, fmt.Sprintf("seqs %v missing in the middle of socket %d", accepted[last+1:i], c))
			case i > last+1:
				inFlight += i - last - 1 // lost at the end of the previous socket
			}
			seen[s] = true
			delivered++
			last = max(last, i)
		}
	}
	if last != len(accepted)-1 {
		bad = append(bad, fmt.Sprintf("%d accepted messages never delivered after the drain (first %d)", len(accepted)-1-last, accepted[last+1]))
	}
	return delivered, inFlight, bad
}

// JudgePushes checks the seqs a client received (got, in order) against
// those the server wrote (pushed): each at most once and in order; missing
// ones were in flight at a failure.
func JudgePushes(pushed map[int]bool, got []int) (bad []string, missing int) {
	prev, seen := 0, map[int]bool{}
	for _, s := range got {
		if seen[s] {
			bad = append(bad, fmt.Sprintf("push %d delivered twice", s))
		}
		if s < prev {
			bad = append(bad, fmt.Sprintf("push %d delivered after %d", s, prev))
		}
		seen[s], prev = true, s
	}
	for s := range pushed {
		if !seen[s] {
			missing++
		}
	}
	return bad, missing
}
