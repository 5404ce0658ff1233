#include <cmath>
#include <string>

#include "base/utf8.h"
#include "web/status_page.h"

namespace ecsync::web {

namespace {

// HTML-escapes `text` after replacing ill-formed UTF-8 (the page declares charset=utf-8, and
// its text comes from git and AWS, which may hold any bytes).
std::string Escape(const std::string& text) {
  std::string out;
  for (char c : base::SanitizeUtf8(text)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string Cell(const std::string& text) { return "<td>" + Escape(text) + "</td>"; }

std::string Short(const std::string& revision) { return revision.substr(0, 12); }

// When the repository is looked at next, and whether that is a retry after failures.
std::string NextCheck(const controller::RepositoryStatus& r) {
  if (r.next_attempt == std::chrono::system_clock::time_point{}) return "";
  std::string text = controller::FormatTime(r.next_attempt);
  if (r.consecutive_failures > 0) {
    text += " (retry after " + std::to_string(r.consecutive_failures) + " failure" +
            (r.consecutive_failures == 1 ? "" : "s") + ", backing off " +
            std::to_string(std::llround(r.backoff_seconds)) + " s)";
  }
  return text;
}

}  // namespace

std::string RenderStatusPage(const controller::StatusStore& store, const std::string& version) {
  std::string html =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"refresh\" content=\"15\"><title>ecsync status</title><style>"
      "body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse;"
      "margin-bottom:2em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
      ".Ready{color:#176f2c}.Reconciling{color:#8a6d00}.WaitingForImages{color:#8a6d00}.Stalled{"
      "color:#b00020}.Held{color:#3b4cc0}"
      "</style></head><body>\n<h1>ecsync</h1><p>version " +
      Escape(version) + " &middot; <a href=\"/api/v1/status\">JSON</a> &middot; " +
      "<a href=\"/metrics\">metrics</a></p>\n<h2>Repositories</h2>\n<table><tr><th>name</th>"
      "<th>url</th><th>ref</th><th>commit</th><th>fetched</th><th>error</th><th>next check</th>"
      "</tr>\n";
  for (const controller::RepositoryStatus& r : store.Repositories()) {
    html += "<tr>" + Cell(r.name) + Cell(r.url) + Cell(r.ref) + Cell(Short(r.last_commit)) +
            Cell(controller::FormatTime(r.last_fetch)) + Cell(r.last_error) + Cell(NextCheck(r)) +
            "</tr>\n";
  }
  html +=
      "</table>\n<h2>Projects</h2>\n<table><tr><th>project</th><th>stack</th><th>condition</th>"
      "<th>reason</th><th>applied</th><th>attempted</th><th>stack status</th><th>drift</th>"
      "<th>last run</th></tr>\n";
  for (const controller::ProjectStatus& p : store.Projects()) {
    const char* condition = ConditionName(p.condition);
    std::string last_run;
    if (!p.runs.empty()) {
      const controller::RunRecord& run = p.runs.front();
      last_run = controller::FormatTime(run.started) + " " + run.action + " " + run.result;
    }
    html += "<tr>" + Cell(p.key) + Cell(p.stack) + "<td class=\"" + std::string(condition) + "\">" +
            condition + (p.suspended ? " (suspended)" : "") + "</td>" + Cell(p.reason) +
            Cell(Short(p.last_applied_revision)) + Cell(Short(p.last_attempted_revision)) +
            Cell(p.stack_status) +
            Cell(p.drift_status.empty() ? "" : p.drift_status + " " + p.drift_detail) +
            Cell(last_run) + "</tr>\n";
  }
  html += "</table>\n</body></html>\n";
  return html;
}

}  // namespace ecsync::web
