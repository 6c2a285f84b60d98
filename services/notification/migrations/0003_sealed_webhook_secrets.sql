-- Webhook signing secrets are kept sealed (AES-256-GCM, pkg/pii, bound to
-- their recipient): a copy of the database alone cannot forge a signature.
-- Secrets stored in the clear before are sealed by the service at start.
ALTER TABLE preferences ADD COLUMN webhook_secret_sealed bytea;
