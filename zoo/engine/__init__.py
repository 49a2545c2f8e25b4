"""zoo's front end on Ultralytics' engine: the ``ZooModel`` facade and task trainers."""
