//! Labels and annotations of `placement.kubernetes-fleet.io` objects.
