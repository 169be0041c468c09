//! The countersignature: content digest, signed payload, trailers, signing and verification.
