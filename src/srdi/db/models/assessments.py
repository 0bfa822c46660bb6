"""Stored screening results: one run per ``srdi screen``, one row per enterprise per run.

The per-enterprise row keeps what lists and reports need (status, score and route per tier, the six-dimension
grade and the management class); the full explained result is recomputed on demand from the same rules.
"""

from django.db import models

from srdi.domain.rules.model import PURPOSE_LABELS

TIER_FIELDS = ("innovative_sme", "srdi_sme", "hidden_champion", "little_giant")
STATUS_CHOICES = [
    ("eligible", "符合"),
    ("ineligible", "不符合"),
    ("needs_data", "需补充数据"),
    (
        "not_due",
        "不在本次复核范围",
    ),  # a review screening: the enterprise holds no title of this tier expiring then
]


class AssessmentRun(models.Model):
    """One whole-database screening."""

    as_of = models.DateField("评价基准日")
    purpose = models.CharField(
        "筛查目的", max_length=12, choices=list(PURPOSE_LABELS.items()), default="application"
    )
    review_from = models.DateField("复核：称号到期区间起", null=True, blank=True)
    review_to = models.DateField("复核：称号到期区间止", null=True, blank=True)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    actor = models.ForeignKey(
        "srdi.User", verbose_name="发起人", null=True, blank=True, on_delete=models.PROTECT
    )
    enterprises = models.IntegerField("企业数", default=0)
    duration_ms = models.IntegerField("耗时（毫秒）", default=0)
    rulebooks = models.JSONField("使用的规则库", default=dict)
    counts = models.JSONField("各层级结果统计", default=dict)
    changes = models.JSONField("与上次相比的变化", default=dict)
    # Counts per district (status per tier, grade, cohort, changes since the previous run) for the screening
    # page, with the data version and previous run they were computed for (``web.screening_aggregates``).
    aggregates = models.JSONField("按区县统计（缓存）", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "全市筛查"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"筛查 #{self.pk}（基准日 {self.as_of}，{self.get_purpose_display()}）"


class EnterpriseAssessment(models.Model):
    """One enterprise's screening result in one run."""

    run = models.ForeignKey(AssessmentRun, on_delete=models.CASCADE, related_name="results")
    enterprise = models.ForeignKey("srdi.Enterprise", on_delete=models.CASCADE, related_name="assessments")
    size_class = models.CharField(max_length=6, null=True, blank=True)
    is_sme = models.BooleanField(null=True)
    innovative_sme_status = models.CharField(max_length=10, choices=STATUS_CHOICES)
    innovative_sme_score = models.SmallIntegerField(null=True)
    innovative_sme_route = models.CharField(max_length=6, null=True)
    srdi_sme_status = models.CharField(max_length=10, choices=STATUS_CHOICES)
    srdi_sme_score = models.SmallIntegerField(null=True)
    srdi_sme_route = models.CharField(max_length=6, null=True)
    hidden_champion_status = models.CharField(max_length=10, choices=STATUS_CHOICES)
    hidden_champion_score = models.SmallIntegerField(null=True)
    hidden_champion_route = models.CharField(max_length=6, null=True)
    little_giant_status = models.CharField(max_length=10, choices=STATUS_CHOICES)
    little_giant_score = models.SmallIntegerField(null=True)
    little_giant_route = models.CharField(max_length=6, null=True)
    grade = models.CharField("综合等级", max_length=1, null=True)
    dimensions = models.JSONField("六维指数", default=dict)
    ladder = models.CharField("梯度位置", max_length=20, null=True)
    next_tier = models.CharField("下一层级", max_length=20, null=True)
    next_tier_progress = models.FloatField(
        "下一层级条件满足比例", null=True
    )  # a share of criteria, not money
    eligible_next = models.BooleanField("符合下一层级", default=False)
    seedling = models.BooleanField("苗子企业", default=False)
    one_firm_one_policy = models.BooleanField("一企一策", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "企业评价结果"
        constraints = [models.UniqueConstraint(fields=["run", "enterprise"], name="one_result_per_run")]
        indexes = [
            models.Index(fields=["run", "srdi_sme_status"]),
            models.Index(fields=["run", "little_giant_status"]),
            models.Index(fields=["enterprise", "run"]),
            models.Index(
                fields=["run", "grade"], name="srdi_ea_run_grade_idx"
            ),  # the screening page's window
        ]
