-- Area alerts: a subscriber may follow only some postcode districts ("LL29, LL22");
-- incidents and appeals say which districts they touch. NULL areas: everything.
ALTER TABLE subscribers ADD COLUMN areas TEXT;
ALTER TABLE incidents ADD COLUMN districts TEXT NOT NULL DEFAULT '';
ALTER TABLE appeals ADD COLUMN districts TEXT NOT NULL DEFAULT '';
