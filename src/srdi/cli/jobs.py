"""``srdi jobs``: run the queued background jobs (large exports) from the command line, and list them.

``srdi jobs run`` takes queued jobs one by one (claimed atomically: any number of these processes and the
runner threads of ``srdi serve`` may run at once, on SQLite or PostgreSQL) until none is left; with ``--watch``
it keeps polling (a dedicated job worker beside the web servers). ``srdi jobs list`` shows the latest jobs.
"""

from __future__ import annotations

import time

import click

from srdi.cli.main import cli, setup_django


@cli.group()
def jobs() -> None:
    """后台任务（大批量导出）：执行与查看。"""


@jobs.command(name="run")
@click.option("--watch", is_flag=True, help="队列为空后继续等待新任务（每秒检查一次），直到按 Ctrl-C")
def jobs_run(watch: bool) -> None:
    """执行排队中的后台任务，直到队列为空。"""
    setup_django()
    from srdi.services import jobs as service

    worker = service.worker_name()
    total = 0
    while True:
        done = service.run_pending(worker)
        total += done
        if done:
            click.echo(f"已执行 {done} 个任务")
        if not watch:
            break
        time.sleep(service.POLL)
    click.echo(f"共执行 {total} 个后台任务")


@jobs.command(name="list")
@click.option("--limit", default=20, show_default=True, help="显示最近多少个任务")
def jobs_list(limit: int) -> None:
    """列出最近的后台任务。"""
    setup_django()
    from srdi.db.models import Job
    from srdi.domain.beijing_time import format_beijing
    from srdi.services.jobs import kind_label

    for job in Job.objects.select_related("owner")[:limit]:
        progress = f"{job.progress_done}/{job.progress_total}" if job.progress_total else "-"
        click.echo(
            f"#{job.pk}\t{kind_label(job.kind)}\t{job.get_status_display()}\t{progress}\t"
            f"{job.owner.username}\t{format_beijing(job.created_at)}\t{job.message}"
        )
