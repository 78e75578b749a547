-- Area alerts, continued: a subscriber may also choose topics (incidents, appeals,
-- news; NULL: all of them) and draw an area (a GeoJSON Polygon) instead of, or as
-- well as, naming postcode districts.
ALTER TABLE subscribers ADD COLUMN topics TEXT;
ALTER TABLE subscribers ADD COLUMN area_geojson TEXT;
-- The accounts besides the lead one that speak for an incident ("12,15"): each
-- shares every published update, so their followers see it too.
ALTER TABLE incidents ADD COLUMN also_speaking TEXT NOT NULL DEFAULT '';
-- An inbox message about a case (a reply under a post about an arrest, say): the
-- reply to it is checked in the case's light, as a post linked to the case is.
ALTER TABLE inbox_messages ADD COLUMN case_reference TEXT;
