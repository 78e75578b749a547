-- The last TOTP time step (Unix time / 30) a user's code was accepted for. A code
-- for this step or an earlier one is refused, so a code seen over a shoulder or
-- captured in transit cannot be used a second time.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
