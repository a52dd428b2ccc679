//! `networking.fleet.azure.com` condition types and reasons.
