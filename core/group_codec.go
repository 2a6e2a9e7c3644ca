package core

import (
	"strconv"
	"time"
)

// A GroupMsg crosses between tabs as one string (a BroadcastChannel's
// structured clone of a string costs the least, and the loader never reads
// it): its fields in a fixed order, each a length, a colon and the bytes,
// so any text fits. Only the Go of another tab decodes it.

// EncodeMsg is m as it is posted.
func EncodeMsg(m *GroupMsg) string {
	var e msgEncoder
	e.msg(m)
	return string(e.b)
}

// SendParts is what a page needs to encode a MsgSend by itself (FxFast):
// m's fields before At, and those after Frames. Between them go At (in
// ns), Seq and Frames, each as EncodeMsg writes it: a number as its
// decimal digits' count, a colon and the digits; Frames as their number
// so written, then each as its UTF-8 length, a colon and its bytes.
func SendParts(m *GroupMsg) (head, tail string) {
	var e msgEncoder
	e.msg(m)
	return string(e.b[:e.at[markAt]]), string(e.b[e.at[markTail]:])
}

// AckParts is what a leading page needs to encode a MsgAck by itself
// (FxLead): m's fields before To, those between To and Seq, and those
// after Seq; To goes between the first two as EncodeMsg writes a string
// (its UTF-8 length, a colon and its text), Seq between the last two as a
// number (see SendParts).
func AckParts(m *GroupMsg) (a, b, c string) {
	var e msgEncoder
	e.msg(m)
	return string(e.b[:e.at[markTo]]), string(e.b[e.at[markKey]:e.at[markSeq]]), string(e.b[e.at[markFrames]:])
}

// Where msg is when it starts a field (or, markTail, after Frames): what
// SendParts and AckParts cut.
const (
	markTo = iota
	markKey
	markAt
	markSeq
	markFrames
	markTail
	marks
)

func (e *msgEncoder) mark(i int) { e.at[i] = len(e.b) }

func (e *msgEncoder) msg(m *GroupMsg) {
	e.num(uint64(m.T))
	e.str(m.From)
	e.mark(markTo)
	e.str(m.To)
	e.mark(markKey)
	e.str(m.Key)
	e.flag(m.Hidden)
	e.flag(m.Open)
	e.str(m.Info.Protocol)
	e.str(m.Info.Extensions)
	e.num(m.Info.Gen)
	e.str(m.Info.Lock)
	e.str(m.Next)
	e.num(m.Gen)
	e.mark(markAt)
	e.num(uint64(m.At))
	e.mark(markSeq)
	e.num(m.Seq)
	e.mark(markFrames)
	e.frames(m.Frames)
	e.mark(markTail)
	e.num(uint64(m.Close.Code))
	e.str(m.Close.Reason)
	e.flag(m.Close.WasClean)
	e.flag(m.Close.Relayed)
	e.num(uint64(m.RTT))
	e.num(uint64(len(m.Owners)))
	for i, o := range m.Owners {
		e.str(o)
		e.frames(m.Resend[i])
	}
}

// DecodeMsg reads what EncodeMsg wrote; ok is false for anything else.
func DecodeMsg(s string) (m GroupMsg, ok bool) {
	d := msgDecoder{s: s}
	m.T = MsgType(d.num())
	m.From = d.str()
	m.To = d.str()
	m.Key = d.str()
	m.Hidden = d.flag()
	m.Open = d.flag()
	m.Info.Protocol = d.str()
	m.Info.Extensions = d.str()
	m.Info.Gen = d.num()
	m.Info.Lock = d.str()
	m.Next = d.str()
	m.Gen = d.num()
	m.At = time.Duration(d.num())
	m.Seq = d.num()
	m.Frames = d.frames()
	m.Close.Code = int(d.num())
	m.Close.Reason = d.str()
	m.Close.WasClean = d.flag()
	m.Close.Relayed = d.flag()
	m.RTT = time.Duration(d.num())
	n := d.num()
	for i := uint64(0); i < n && !d.bad; i++ {
		m.Owners = append(m.Owners, d.str())
		m.Resend = append(m.Resend, d.frames())
	}
	return m, !d.bad && d.s == "" && m.T != 0
}

type msgEncoder struct {
	b  []byte
	at [marks]int
}

func (e *msgEncoder) str(s string) {
	e.b = strconv.AppendInt(e.b, int64(len(s)), 10)
	e.b = append(e.b, ':')
	e.b = append(e.b, s...)
}

func (e *msgEncoder) num(n uint64) { e.str(strconv.FormatUint(n, 10)) }

func (e *msgEncoder) flag(v bool) {
	if v {
		e.num(1)
	} else {
		e.num(0)
	}
}

func (e *msgEncoder) frames(fs [][]byte) {
	e.num(uint64(len(fs)))
	for _, f := range fs {
		e.b = strconv.AppendInt(e.b, int64(len(f)), 10)
		e.b = append(e.b, ':')
		e.b = append(e.b, f...)
	}
}

type msgDecoder struct {
	s   string
	bad bool
}

func (d *msgDecoder) str() string {
	i := 0
	for i < len(d.s) && d.s[i] != ':' {
		i++
	}
	n, err := strconv.Atoi(d.s[:i])
	if err != nil || i == len(d.s) || n < 0 || n > len(d.s)-i-1 {
		d.bad, d.s = true, ""
		return ""
	}
	v := d.s[i+1 : i+1+n]
	d.s = d.s[i+1+n:]
	return v
}

func (d *msgDecoder) num() uint64 {
	s := d.str()
	if d.bad {
		return 0
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		d.bad = true
	}
	return n
}

func (d *msgDecoder) flag() bool { return d.num() == 1 }

func (d *msgDecoder) frames() [][]byte {
	n := d.num()
	if n > uint64(len(d.s)) {
		d.bad = true
		return nil
	}
	var out [][]byte
	for i := uint64(0); i < n && !d.bad; i++ {
		out = append(out, []byte(d.str()))
	}
	return out
}
