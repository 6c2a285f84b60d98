package identity

// HashPasswordForBench lets the external benchmarks hash as a sign-in does.
var HashPasswordForBench = hashPassword
