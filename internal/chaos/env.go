package chaos

import (
	"os"
	"strconv"
	"time"
)

// FromEnv reads a run's size and seed from the environment: the number of
// faults from stepsVar (def when unset or not a positive number), the seed
// from seedVar (a fresh one when unset, printed by the run so a failure
// can be replayed).
func FromEnv(stepsVar, seedVar string, def int) (steps int, seed int64) {
	steps, _ = strconv.Atoi(os.Getenv(stepsVar))
	if steps <= 0 {
		steps = def
	}
	seed, err := strconv.ParseInt(os.Getenv(seedVar), 10, 64)
	if err != nil {
		seed = time.Now().UnixNano() % 1e9
	}
	return steps, seed
}
