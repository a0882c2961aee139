from casetrail.cli.main import main

raise SystemExit(main())
