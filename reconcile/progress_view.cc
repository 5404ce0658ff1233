#include "reconcile/progress_view.h"

#include <algorithm>
#include <cstdio>

namespace ecsync::reconcile {
namespace {

constexpr char kClearLine[] = "\x1b[2K";
constexpr char kClearBelow[] = "\x1b[J";

bool IsFailure(const std::string& status) {
  return status.ends_with("_FAILED") ||
         (status.find("ROLLBACK") != std::string::npos && status.ends_with("_COMPLETE"));
}

bool ShowsReason(const std::string& status) {
  return status.find("FAILED") != std::string::npos || status.find("ROLLBACK") != std::string::npos;
}

// Control characters (C0, DEL, and C1 as UTF-8) become one space each: a reason text from
// CloudFormation must not move the cursor or break a row in two.
std::string Sanitize(const std::string& text) {
  std::string clean;
  clean.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      clean += ' ';
    } else if (c == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      clean += ' ';
      ++i;
    } else {
      clean += text[i];
    }
  }
  return clean;
}

// Terminal columns, counted as UTF-8 code points (wide CJK characters count as one).
size_t Columns(const std::string& text) {
  size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
  }
  return n;
}

std::string Truncate(const std::string& text, size_t width) {
  if (Columns(text) <= width) return text;
  size_t keep = width > 0 ? width - 1 : 0;
  size_t n = 0, i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) {
      if (n == keep) break;
      ++n;
    }
  }
  return text.substr(0, i) + "…";
}

// `text` in exactly `width` columns: cut with "…" or padded with spaces.
std::string Cell(const std::string& text, size_t width) {
  std::string cut = Truncate(text, width);
  size_t columns = Columns(cut);
  return columns >= width ? cut : cut + std::string(width - columns, ' ');
}

// Takes up to `*excess` columns from a column of `*width`, leaving at least `floor`.
void Shrink(size_t* width, size_t floor, size_t* excess) {
  if (*width <= floor) return;
  size_t take = std::min(*excess, *width - floor);
  *width -= take;
  *excess -= take;
}

std::string Seconds(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1fs", std::max(0.0, seconds));
  return buffer;
}

}  // namespace

const char* StatusMarker(const std::string& status) {
  if (IsFailure(status)) return "✘";
  if (status.ends_with("_IN_PROGRESS")) return "⠿";
  return "✔";
}

std::vector<std::string> RenderBlock(const std::vector<ResourceLine>& lines, int width) {
  size_t id_width = 0, type_width = 0, status_width = 0, time_width = 0;
  std::vector<std::string> times;
  for (const ResourceLine& line : lines) {
    id_width = std::max(id_width, Columns(Sanitize(line.logical_id)));
    type_width = std::max(type_width, Columns(Sanitize(line.resource_type)));
    status_width = std::max(status_width, Columns(Sanitize(line.status)));
    times.push_back(Seconds(line.elapsed_seconds));
    time_width = std::max(time_width, times.back().size());
  }
  // Too narrow for every column: the type gives way first, then the logical ID, so that the
  // status and the time stay in view.
  const size_t columns = static_cast<size_t>(std::max(width, 1));
  const size_t needed = 4 + id_width + 2 + type_width + 2 + status_width + 2 + time_width;
  if (needed > columns) {
    size_t excess = needed - columns;
    Shrink(&type_width, 8, &excess);
    Shrink(&id_width, 12, &excess);
  }
  std::vector<std::string> rows;
  for (size_t i = 0; i < lines.size(); ++i) {
    const ResourceLine& line = lines[i];
    std::string row = std::string("  ") + StatusMarker(line.status) + " " +
                      Cell(Sanitize(line.logical_id), id_width) + "  " +
                      Cell(Sanitize(line.resource_type), type_width) + "  " +
                      Cell(Sanitize(line.status), status_width) + "  " +
                      std::string(time_width - times[i].size(), ' ') + times[i];
    // The reason goes last and is cut to what is left, if anything is.
    if (ShowsReason(line.status) && !line.reason.empty() && Columns(row) + 3 < columns) {
      row += "  " + Sanitize(line.reason);
    }
    rows.push_back(Truncate(row, columns));
  }
  return rows;
}

std::string RedrawSequence(int previous_height, const std::vector<std::string>& above,
                           const std::vector<std::string>& block) {
  std::string bytes;
  if (previous_height > 0) bytes += "\x1b[" + std::to_string(previous_height) + "A";
  for (const std::string& line : above) bytes += kClearLine + line + "\n";
  for (const std::string& line : block) bytes += kClearLine + line + "\n";
  if (above.size() + block.size() < static_cast<size_t>(std::max(previous_height, 0))) {
    bytes += kClearBelow;
  }
  return bytes;
}

LiveProgress::LiveProgress(std::ostream& out, int width)
    : out_(out), width_(width < 10 ? 80 : width) {}

void LiveProgress::OnEvent(const ProgressEvent& event) {
  std::vector<std::string> above;
  if (event.kind == ProgressEvent::Kind::kResource) {
    auto it = std::find_if(rows_.begin(), rows_.end(), [&](const Row& row) {
      return row.line.stack == event.stack && row.line.logical_id == event.logical_id;
    });
    if (it == rows_.end()) {
      it = rows_.insert(rows_.end(), Row{});
      it->line.stack = event.stack;
      it->line.logical_id = event.logical_id;
      it->first_seen = event.elapsed_seconds;
    } else if (event.elapsed_seconds < it->last_event) {
      // The clock restarted: a new operation on the stack (a delete, then a create).
      it->first_seen = event.elapsed_seconds;
    }
    it->line.resource_type = event.resource_type;
    it->line.status = event.status;
    it->line.reason = event.reason;
    it->last_event = event.elapsed_seconds;
    latest_ = event.elapsed_seconds;
  } else {
    above.push_back(Sanitize(FormatText(event)));
  }
  std::vector<std::string> block = RenderBlock(CurrentLines(), width_);
  out_ << RedrawSequence(drawn_height_, above, block);
  out_.flush();
  drawn_height_ = static_cast<int>(block.size());
}

ProgressSink LiveProgress::Sink() {
  return [this](const ProgressEvent& event) { OnEvent(event); };
}

void LiveProgress::Finish() {
  out_.flush();
  rows_.clear();
  latest_ = 0;
  drawn_height_ = 0;
}

std::vector<ResourceLine> LiveProgress::CurrentLines() const {
  std::vector<ResourceLine> lines;
  for (const Row& row : rows_) {
    ResourceLine line = row.line;
    double until = row.last_event;
    // Still running: its clock runs until the newest event of the operation.
    if (line.status.ends_with("_IN_PROGRESS")) until = std::max(until, latest_);
    line.elapsed_seconds = std::max(0.0, until - row.first_seen);
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace ecsync::reconcile
