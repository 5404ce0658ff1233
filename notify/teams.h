#pragma once

#include <string>

#include "aws/http.h"
#include "notify/http_sink.h"

namespace ecsync::notify {

// A Microsoft Teams workflow webhook (the "Post to a channel when a webhook request is
// received" template of Power Automate / Teams Workflows). Each event is a message with one
// attachment of content type application/vnd.microsoft.card.adaptive: an AdaptiveCard 1.4
// with a title TextBlock, the description, a FactSet (project, stack, revision, repository)
// and, when an external URL is set, an Action.OpenUrl to the project's page.
class TeamsSink final : public HttpSink {
 public:
  // Named "teams:<options.name>".
  TeamsSink(HttpSinkOptions options, aws::HttpClient& http)
      : HttpSink("teams", std::move(options), http) {}

 protected:
  std::string Body(const Event& event) override;
};

}  // namespace ecsync::notify
