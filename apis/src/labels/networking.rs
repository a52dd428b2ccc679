//! Labels and annotations of `networking.fleet.azure.com` objects.
