"""What a run leaves and how it is read: Parquet traces, summaries, plots, HTML reports."""
