"""ISDA SIMM: versioned parameters, CRIF reading and validation, the margin calculator."""
