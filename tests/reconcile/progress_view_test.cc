// The live progress block: rendering, the redraw escape sequences, and what a terminal shows.

#include "reconcile/progress_view.h"

#include <gtest/gtest.h>

#include <sstream>

namespace ecsync::reconcile {
namespace {

ProgressEvent Step(const std::string& message) {
  ProgressEvent event;
  event.kind = ProgressEvent::Kind::kStep;
  event.stack = "shop";
  event.message = message;
  return event;
}

ProgressEvent Resource(const std::string& id, const std::string& type, const std::string& status,
                       double elapsed, const std::string& reason = "") {
  ProgressEvent event;
  event.kind = ProgressEvent::Kind::kResource;
  event.stack = "shop";
  event.logical_id = id;
  event.resource_type = type;
  event.status = status;
  event.reason = reason;
  event.elapsed_seconds = elapsed;
  return event;
}

// A terminal that understands what LiveProgress writes: text, "\n", ESC[<n>A, ESC[2K, ESC[J.
// Fails the test on any other escape sequence.
class Screen {
 public:
  void Write(const std::string& bytes) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      char c = bytes[i];
      if (c == '\n') {
        ++row_;
        column_ = 0;
      } else if (c == '\x1b') {
        ASSERT_LT(i + 1, bytes.size());
        ASSERT_EQ(bytes[i + 1], '[');
        size_t end = bytes.find_first_of("AKJ", i + 2);
        ASSERT_NE(end, std::string::npos) << bytes.substr(i);
        std::string arg = bytes.substr(i + 2, end - i - 2);
        if (bytes[end] == 'A') {
          row_ = std::max(0, row_ - std::stoi(arg));
        } else if (bytes[end] == 'K') {
          ASSERT_EQ(arg, "2");
          Line().clear();
        } else {
          ASSERT_EQ(arg, "");
          lines_.resize(row_ + 1);
          Line().clear();
        }
        i = end;
      } else {
        std::string& line = Line();
        if (line.size() < column_) line.resize(column_, ' ');
        line.replace(column_, 1, 1, c);
        ++column_;
      }
    }
  }
  // What is on screen, one string per line; the cursor's empty last line left off.
  std::vector<std::string> Lines() const {
    std::vector<std::string> shown = lines_;
    while (!shown.empty() && shown.back().empty()) shown.pop_back();
    return shown;
  }
  int row() const { return row_; }

 private:
  std::string& Line() {
    if (lines_.size() <= static_cast<size_t>(row_)) lines_.resize(row_ + 1);
    return lines_[row_];
  }
  std::vector<std::string> lines_;
  int row_ = 0;
  size_t column_ = 0;  // in bytes: enough for these tests
};

// Feeds events one at a time and keeps what each wrote.
class Recorder {
 public:
  Recorder(int width = 80) : live_(out_, width) {}
  std::string Feed(const ProgressEvent& event) {
    size_t before = out_.str().size();
    live_.OnEvent(event);
    std::string written = out_.str().substr(before);
    screen_.Write(written);
    return written;
  }
  LiveProgress& live() { return live_; }
  Screen& screen() { return screen_; }
  std::string all() const { return out_.str(); }

 private:
  std::ostringstream out_;
  LiveProgress live_;
  Screen screen_;
};

TEST(ProgressView, RenderBlockAlignsColumnsAndMarksEachStatus) {
  std::vector<ResourceLine> lines = {
      {"shop", "WebService", "AWS::ECS::Service", "CREATE_IN_PROGRESS",
       "Resource creation Initiated", 3.04},
      {"shop", "Cluster", "AWS::ECS::Cluster", "CREATE_COMPLETE", "", 12.3},
      {"shop", "Db", "AWS::RDS::DBInstance", "CREATE_FAILED", "Invalid storage size", 0.5},
  };
  EXPECT_EQ(RenderBlock(lines, 200),
            (std::vector<std::string>{
                "  ⠿ WebService  AWS::ECS::Service     CREATE_IN_PROGRESS   3.0s",
                "  ✔ Cluster     AWS::ECS::Cluster     CREATE_COMPLETE     12.3s",
                "  ✘ Db          AWS::RDS::DBInstance  CREATE_FAILED        0.5s  "
                "Invalid storage size",
            }));
}

TEST(ProgressView, MarkersForRollbacksAndDeletes) {
  EXPECT_STREQ(StatusMarker("UPDATE_ROLLBACK_COMPLETE"), "✘");
  EXPECT_STREQ(StatusMarker("ROLLBACK_COMPLETE"), "✘");
  EXPECT_STREQ(StatusMarker("ROLLBACK_IN_PROGRESS"), "⠿");
  EXPECT_STREQ(StatusMarker("DELETE_COMPLETE"), "✔");
  EXPECT_STREQ(StatusMarker("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"), "⠿");
  EXPECT_STREQ(StatusMarker("DELETE_SKIPPED"), "✔");
}

TEST(ProgressView, RowsAreCutToTheWidthInColumnsNotBytes) {
  std::vector<ResourceLine> lines = {
      {"shop", "Db", "AWS::RDS::DBInstance", "CREATE_FAILED",
       "Größe ungültig: " + std::string(100, 'x'), 1},
      {"shop", "Log", "AWS::Logs::LogGroup", "CREATE_COMPLETE", "", 1}};
  // Room for every column: the reason gets what is left ("Größe" is 5 columns, 7 bytes).
  EXPECT_EQ(RenderBlock(lines, 60),
            (std::vector<std::string>{
                "  ✘ Db   AWS::RDS::DBInstance  CREATE_FAILED    1.0s  Größe…",
                "  ✔ Log  AWS::Logs::LogGroup   CREATE_COMPLETE  1.0s",
            }));
  // Too narrow: the type column gives way so that status and time stay; no room for a reason.
  EXPECT_EQ(RenderBlock(lines, 40), (std::vector<std::string>{
                                        "  ✘ Db   AWS::RD…  CREATE_FAILED    1.0s",
                                        "  ✔ Log  AWS::Lo…  CREATE_COMPLETE  1.0s",
                                    }));
  // A row that fits is left alone; a multi-byte character at the edge is not split.
  const std::vector<ResourceLine> short_reason = {{"shop", "Db", "T", "CREATE_FAILED", "äää", 1}};
  std::vector<std::string> rows = RenderBlock(short_reason, 35);
  EXPECT_EQ(rows[0], "  ✘ Db  T  CREATE_FAILED  1.0s  äää");
  rows = RenderBlock(short_reason, 34);
  EXPECT_EQ(rows[0], "  ✘ Db  T  CREATE_FAILED  1.0s  ä…");
}

TEST(ProgressView, ControlCharactersInAReasonCannotMoveTheCursor) {
  std::vector<std::string> rows = RenderBlock(
      {{"shop", "Db", "T", "CREATE_FAILED", "bad\x1b[2J\nsecond line\r\xc2\x9b", 1}}, 200);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], "  ✘ Db  T  CREATE_FAILED  1.0s  bad [2J second line  ");
}

TEST(ProgressView, RedrawMovesUpByTheOldBlockHeightAndRewritesEachLine) {
  EXPECT_EQ(RedrawSequence(0, {}, {"a"}), "\x1b[2Ka\n");
  EXPECT_EQ(RedrawSequence(2, {}, {"a", "b"}), "\x1b[2A\x1b[2Ka\n\x1b[2Kb\n");
  EXPECT_EQ(RedrawSequence(2, {"step"}, {"a", "b", "c"}),
            "\x1b[2A\x1b[2Kstep\n\x1b[2Ka\n\x1b[2Kb\n\x1b[2Kc\n");
  // Fewer lines than before: what is left of the old block is cleared.
  EXPECT_EQ(RedrawSequence(3, {}, {"a"}), "\x1b[3A\x1b[2Ka\n\x1b[J");
}

TEST(ProgressView, EventsRedrawTheBlockInPlaceWithStepsAbove) {
  Recorder r;
  EXPECT_EQ(r.Feed(Step("creating stack shop (revision abc1234)")),
            "\x1b[2Kcreating stack shop (revision abc1234)\n");

  // A new resource: nothing drawn yet, so no cursor movement.
  EXPECT_EQ(r.Feed(Resource("Cluster", "AWS::ECS::Cluster", "CREATE_IN_PROGRESS", 1.0)),
            "\x1b[2K  ⠿ Cluster  AWS::ECS::Cluster  CREATE_IN_PROGRESS  0.0s\n");

  // A second resource: up one line (the old block), then both rows.
  EXPECT_EQ(r.Feed(Resource("Web", "AWS::ECS::Service", "CREATE_IN_PROGRESS", 2.5)),
            "\x1b[1A"
            "\x1b[2K  ⠿ Cluster  AWS::ECS::Cluster  CREATE_IN_PROGRESS  1.5s\n"
            "\x1b[2K  ⠿ Web      AWS::ECS::Service  CREATE_IN_PROGRESS  0.0s\n");

  // The first one finishes: updated in place, its time since its first event.
  EXPECT_EQ(r.Feed(Resource("Cluster", "AWS::ECS::Cluster", "CREATE_COMPLETE", 4.0)),
            "\x1b[2A"
            "\x1b[2K  ✔ Cluster  AWS::ECS::Cluster  CREATE_COMPLETE     3.0s\n"
            "\x1b[2K  ⠿ Web      AWS::ECS::Service  CREATE_IN_PROGRESS  1.5s\n");

  // A step while the block is up goes above it; the block follows.
  EXPECT_EQ(r.Feed(Step("waiting for shop")),
            "\x1b[2A"
            "\x1b[2Kwaiting for shop\n"
            "\x1b[2K  ✔ Cluster  AWS::ECS::Cluster  CREATE_COMPLETE     3.0s\n"
            "\x1b[2K  ⠿ Web      AWS::ECS::Service  CREATE_IN_PROGRESS  1.5s\n");

  r.Feed(Resource("Web", "AWS::ECS::Service", "CREATE_FAILED", 9.0, "Service did not stabilize"));
  EXPECT_EQ(r.screen().Lines(), (std::vector<std::string>{
                                    "creating stack shop (revision abc1234)",
                                    "waiting for shop",
                                    "  ✔ Cluster  AWS::ECS::Cluster  CREATE_COMPLETE  3.0s",
                                    "  ✘ Web      AWS::ECS::Service  CREATE_FAILED    6.5s  "
                                    "Service did not stabilize",
                                }));
  EXPECT_EQ(r.screen().row(), 4);  // the cursor sits below the block
}

TEST(ProgressView, ChangeEventsScrollAboveTheBlockAsPlainLines) {
  Recorder r;
  r.Feed(Resource("shop", "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", 0));
  ProgressEvent change;
  change.kind = ProgressEvent::Kind::kChange;
  change.status = "Modify";
  change.logical_id = "Web";
  change.resource_type = "AWS::ECS::Service";
  change.reason = "replacement: False";
  r.Feed(change);
  EXPECT_EQ(r.screen().Lines(),
            (std::vector<std::string>{
                "  ~ Web (AWS::ECS::Service) replacement: False",
                "  ⠿ shop  AWS::CloudFormation::Stack  UPDATE_IN_PROGRESS  0.0s",
            }));
}

TEST(ProgressView, TheSameResourceInANewOperationRestartsItsClock) {
  Recorder r;
  r.Feed(Resource("Web", "AWS::ECS::Service", "DELETE_IN_PROGRESS", 10));
  r.Feed(Resource("Web", "AWS::ECS::Service", "DELETE_COMPLETE", 14));
  // The stack was deleted; its create starts a new clock at zero.
  r.Feed(Resource("Web", "AWS::ECS::Service", "CREATE_IN_PROGRESS", 1));
  r.Feed(Resource("Web", "AWS::ECS::Service", "CREATE_COMPLETE", 3.5));
  EXPECT_EQ(r.screen().Lines(),
            (std::vector<std::string>{"  ✔ Web  AWS::ECS::Service  CREATE_COMPLETE  2.5s"}));
}

TEST(ProgressView, RowsAreCutToTheTerminalWidth) {
  Recorder r(30);
  std::string written = r.Feed(
      Resource("AVeryLongLogicalIdForAService", "AWS::ECS::Service", "CREATE_IN_PROGRESS", 0));
  // The logical ID and type are cut first; what still does not fit is cut at the edge.
  EXPECT_EQ(written, "\x1b[2K  ⠿ AVeryLongLo…  AWS::EC…  C…\n");
  // Steps are plain lines that may wrap: they are above the block and never redrawn.
  std::string step(50, 's');
  written = r.Feed(Step(step));
  EXPECT_NE(written.find(step), std::string::npos);
}

TEST(ProgressView, FinishLeavesTheBlockAndTheNextBlockStartsBelowIt) {
  Recorder r;
  r.Feed(Resource("Web", "AWS::ECS::Service", "DELETE_IN_PROGRESS", 0));
  r.Feed(Resource("Web", "AWS::ECS::Service", "DELETE_COMPLETE", 2));
  std::string before = r.all();
  r.live().Finish();
  EXPECT_EQ(r.all(), before);  // nothing erased
  // Whatever comes next starts below: no cursor movement over the finished block.
  std::string written = r.Feed(Resource("Db", "AWS::RDS::DBInstance", "DELETE_IN_PROGRESS", 0));
  EXPECT_EQ(written, "\x1b[2K  ⠿ Db  AWS::RDS::DBInstance  DELETE_IN_PROGRESS  0.0s\n");
  EXPECT_EQ(r.screen().Lines(),
            (std::vector<std::string>{"  ✔ Web  AWS::ECS::Service  DELETE_COMPLETE  2.0s",
                                      "  ⠿ Db  AWS::RDS::DBInstance  DELETE_IN_PROGRESS  0.0s"}));
}

TEST(ProgressView, SinkForwardsToTheView) {
  std::ostringstream out;
  LiveProgress live(out);
  ProgressSink sink = live.Sink();
  sink(Step("hello"));
  EXPECT_EQ(out.str(), "\x1b[2Khello\n");
}

}  // namespace
}  // namespace ecsync::reconcile
