//! Finalizers on `placement.kubernetes-fleet.io` objects.
