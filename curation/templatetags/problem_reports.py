"""The visitors' "Report a problem" form, for the public interaction page (which the proteins app renders)."""

from django import template

from curation.forms import HONEYPOT, ProblemReportForm

register = template.Library()


@register.inclusion_tag("curation/_report_form.html", takes_context=True)
def report_problem_form(context, interaction):
    """The form, empty, or as the visitor sent it when it was refused (``report_form`` in the page's context)."""
    return {
        "interaction": interaction,
        "form": context.get("report_form") or ProblemReportForm(),
        "csrf_token": context.get("csrf_token"),
        "honeypot": HONEYPOT,
    }
