#pragma once

#include <string>

#include "aws/http.h"
#include "notify/http_sink.h"

namespace ecsync::notify {

// A Slack incoming webhook (https://hooks.slack.com/services/...). Each event is one
// message: a header block ("Deploy failed: shop/web"), a section with the description and
// fields (project, stack, revision, repository), a link to the project's page when an
// external URL is set, and `text` as the notification fallback. Text from repositories and
// AWS is escaped (&, <, >), so it cannot mention @channel or forge links.
class SlackSink final : public HttpSink {
 public:
  // Named "slack:<options.name>".
  SlackSink(HttpSinkOptions options, aws::HttpClient& http)
      : HttpSink("slack", std::move(options), http) {}

 protected:
  std::string Body(const Event& event) override;
};

// `text` escaped for Slack's mrkdwn and plain text: & < > become &amp; &lt; &gt;.
std::string SlackEscape(const std::string& text);

}  // namespace ecsync::notify
