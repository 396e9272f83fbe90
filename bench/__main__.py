"""``python -m bench``: see bench/__init__.py and docs/benchmarks.md."""

from __future__ import annotations

import sys

from bench.cli import main

if len(sys.argv) > 1 and sys.argv[1] == "review-queue":  # the review queue page bench
    from bench.review_queue import main as review_queue_main

    sys.exit(review_queue_main(sys.argv[2:]))
if len(sys.argv) > 1 and sys.argv[1] == "enterprise-roster":  # the roster page with 2,000 staff
    from bench.enterprise_roster import main as enterprise_roster_main

    sys.exit(enterprise_roster_main(sys.argv[2:]))
if len(sys.argv) > 1 and sys.argv[1] == "permits-submit":  # application submits end to end
    from bench.permits_submit import main as permits_submit_main

    sys.exit(permits_submit_main(sys.argv[2:]))
if len(sys.argv) > 1 and sys.argv[1] == "forms":  # 申报表 and certificate PDFs per page
    from bench.forms import main as forms_main

    sys.exit(forms_main(sys.argv[2:]))
if len(sys.argv) > 1 and sys.argv[1] == "upload":  # a 20 MB PDF streamed through the gateway
    from bench.upload import main as upload_main

    sys.exit(upload_main(sys.argv[2:]))
sys.exit(main())
