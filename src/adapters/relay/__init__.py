"""Events out: the relay that publishes the event log to Kafka as CloudEvents JSON, the
JSON Schemas of the published events, and a consumer that reads them back."""
