//go:build race

package core_test

// raceEnabled: the race detector slows the simulation about tenfold, so
// its default run is shorter (make test runs the full one without it).
const raceEnabled = true
