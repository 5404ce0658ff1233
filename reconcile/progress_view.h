#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "reconcile/progress.h"

namespace ecsync::reconcile {

// One resource's row in the live progress block.
struct ResourceLine {
  std::string stack;
  std::string logical_id;
  std::string resource_type;
  std::string status;  // the latest ResourceStatus
  std::string reason;  // shown only when the status is a failure or a rollback
  double elapsed_seconds = 0;
};

// The marker a row starts with: "✔" done, "✘" failed (or rolled back), "⠿" in progress.
const char* StatusMarker(const std::string& status);

// The block as rows without newlines, columns aligned across rows, like
// "  ✔ WebService  AWS::ECS::Service  CREATE_COMPLETE   12.3s", then the reason of a failure.
// Each row is at most `width` terminal columns: when the columns do not fit, the type and
// then the logical ID are cut ("…") so the status and time stay in view, and the reason gets
// what is left. Control characters (ESC in a reason text, say) become spaces, so every row
// takes exactly one line of the terminal.
std::vector<std::string> RenderBlock(const std::vector<ResourceLine>& lines, int width);

// The bytes that turn a screen whose last `previous_height` lines are the old block (the
// cursor at the start of the line below it) into: `above` as plain lines, then `block`, the
// cursor again below it. Moves the cursor up `previous_height` lines ("ESC[<n>A") and
// rewrites each line after clearing it ("ESC[2K"); clears what is left below ("ESC[J") when
// the new text has fewer lines than the old block.
std::string RedrawSequence(int previous_height, const std::vector<std::string>& above,
                           const std::vector<std::string>& block);

// Shows a command's progress on a terminal the way `docker compose up` does: step and change
// events scroll by as plain lines, and below them one row per resource (status and time since
// its first event) is redrawn in place on every event. Not thread-safe: one per command, fed
// from the reconciling thread; nothing else may write to `out` between OnEvent calls (it
// would be overwritten), so call Finish() before printing anything else.
class LiveProgress {
 public:
  // `width`: the terminal's columns; rows are cut to fit (values below 10 mean 80).
  explicit LiveProgress(std::ostream& out, int width = 80);

  void OnEvent(const ProgressEvent& event);
  // A sink that forwards to OnEvent. REQUIRES: this object outlives the sink.
  ProgressSink Sink();
  // Leaves the last block on screen as it is; later events start a new block below it.
  void Finish();

 private:
  struct Row {
    ResourceLine line;
    double first_seen = 0;  // the operation's elapsed time at the resource's first event
    double last_event = 0;  // ... at its latest event
  };
  std::vector<ResourceLine> CurrentLines() const;

  std::ostream& out_;
  int width_;
  std::vector<Row> rows_;  // in order of first appearance; the block never shrinks
  double latest_ = 0;      // elapsed time of the newest resource event
  int drawn_height_ = 0;   // rows of the block on screen now
};

}  // namespace ecsync::reconcile
