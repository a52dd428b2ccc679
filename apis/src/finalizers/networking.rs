//! Finalizers on `networking.fleet.azure.com` objects.
