#include "notify/slack.h"

#include <nlohmann/json.hpp>

namespace ecsync::notify {

namespace {

using nlohmann::ordered_json;

// Block Kit's limits: a header's text, a section's text, one field.
constexpr size_t kHeaderBytes = 150;
constexpr size_t kSectionBytes = 2900;
constexpr size_t kFieldBytes = 1900;

const char* Emoji(EventKind kind) {
  switch (kind) {
    case EventKind::kDeployStarted:
      return ":arrows_counterclockwise:";
    case EventKind::kDeploySucceeded:
      return ":white_check_mark:";
    case EventKind::kDeployFailed:
      return ":x:";
    case EventKind::kDeployError:
      return ":warning:";
    case EventKind::kDriftDetected:
      return ":mag:";
    case EventKind::kStalled:
      return ":no_entry:";
    case EventKind::kPruned:
      return ":wastebasket:";
    case EventKind::kSignatureRefused:
      return ":lock:";
    case EventKind::kHeld:
      return ":hourglass_flowing_sand:";
    case EventKind::kApprovalPending:
      return ":raised_hand:";
    case EventKind::kApproved:
      return ":thumbsup:";
    case EventKind::kRejected:
      return ":thumbsdown:";
    case EventKind::kSuperseded:
      return ":fast_forward:";
  }
  return ":grey_question:";
}

ordered_json Field(const std::string& label, const std::string& value) {
  return {{"type", "mrkdwn"}, {"text", "*" + label + "*\n" + OneLine(value, kFieldBytes)}};
}

}  // namespace

std::string SlackEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
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
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string SlackSink::Body(const Event& event) {
  const std::string headline = EventTitle(event.kind) + ": " + event.project_key;
  const std::string description = SlackEscape(OneLine(event.description, kSectionBytes));
  ordered_json fields = ordered_json::array();
  fields.push_back(Field("Project", SlackEscape(event.project_key)));
  if (!event.stack.empty()) fields.push_back(Field("Stack", SlackEscape(event.stack)));
  if (!event.revision.empty()) {
    fields.push_back(Field("Revision", "`" + SlackEscape(ShortSha(event.revision)) + "`"));
  }
  fields.push_back(Field("Repository", SlackEscape(event.repository)));
  if (!event.change_set.empty()) {
    fields.push_back(Field("Change set", "`" + SlackEscape(event.change_set) + "`"));
  }
  if (!event.actor.empty()) fields.push_back(Field("By", SlackEscape(event.actor)));

  ordered_json blocks = ordered_json::array();
  blocks.push_back(
      {{"type", "header"},
       {"text",
        {{"type", "plain_text"},
         {"text", OneLine(std::string(Emoji(event.kind)) + " " + headline, kHeaderBytes)},
         {"emoji", true}}}});
  ordered_json section = {{"type", "section"}};
  if (!description.empty()) section["text"] = {{"type", "mrkdwn"}, {"text", description}};
  section["fields"] = std::move(fields);
  blocks.push_back(std::move(section));
  const std::string link = Link(event);
  if (!link.empty()) {
    const std::string text = "<" + link + "|Open " + SlackEscape(event.project_key) + " in ecsync>";
    blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", text}}}});
  }

  std::string fallback = headline;
  if (!event.revision.empty()) fallback += " at " + ShortSha(event.revision);
  if (!event.description.empty()) fallback += ": " + OneLine(event.description, kSectionBytes);
  ordered_json message = {{"text", SlackEscape(OneLine(fallback, kSectionBytes))},
                          {"blocks", std::move(blocks)}};
  return message.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace ecsync::notify
