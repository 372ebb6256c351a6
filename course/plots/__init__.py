"""Figures that teach, one module per course module. Each returns a matplotlib Figure."""

#: A colour-blind-safe pair (Okabe & Ito), used across the course.
ENGAGED, DETACHED = "#0072B2", "#D55E00"
