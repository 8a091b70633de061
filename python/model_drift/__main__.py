from model_drift.cli import main

raise SystemExit(main())
