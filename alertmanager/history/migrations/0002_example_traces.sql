-- Example trace IDs of a firing alert, from the exemplars Prometheus holds for the alert's
-- series (the `exemplar_selector` annotation): `python -m signalpost lookup <ID>` shows each.
ALTER TABLE alert_history ADD COLUMN example_trace_ids text[] NOT NULL DEFAULT '{}';
