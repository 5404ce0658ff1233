#pragma once

#include <string>
#include <utility>
#include <vector>

#include "aws/http.h"
#include "base/result.h"
#include "notify/event.h"
#include "notify/filter.h"

namespace ecsync::notify {

// What every webhook-style sink is configured with.
struct HttpSinkOptions {
  std::string name;  // the configured name; the sink calls itself "<type>:<name>"
  // Where to POST. A secret (Slack and Teams webhook URLs carry their credential in the
  // path): it never appears in a log line, an error or a metric.
  std::string url;
  EventFilter filter;
  // Where the status UI is reached ("https://ecsync.example.com", no trailing '/'); messages
  // link to "<external_url>/projects/<key>". "" for no link.
  std::string external_url;
  std::string user_agent = "ecsync";
};

// A sink that POSTs one JSON document per event. Deliver maps the answer:
//   2xx                      ok
//   429                      kThrottled, passing on a delta-seconds Retry-After
//   408, 5xx, no answer      kTransient
//   any other status         kInvalid (dropped), naming the sink and the status
// Error messages name the sink, never its URL; text from the answer is quoted only after
// every occurrence of the URL and its path is cut out. Thread-compatible; the dispatcher
// calls it from one thread.
class HttpSink : public Sink {
 public:
  std::string name() const override { return name_; }
  bool Wants(const Event& event) const override { return options_.filter.Matches(event); }
  base::Status Deliver(const Event& event) override;

 protected:
  // `type` ("slack", "teams", "webhook") prefixes the name. `http` must outlive the sink.
  HttpSink(const char* type, HttpSinkOptions options, aws::HttpClient& http);

  // The JSON body for `event`.
  virtual std::string Body(const Event& event) = 0;
  // Headers besides Content-Type and User-Agent (a signature over `body`, say).
  virtual std::vector<std::pair<std::string, std::string>> ExtraHeaders(const Event& event,
                                                                        const std::string& body);

  // "<external_url>/projects/<key>", or "" when no external URL is set.
  std::string Link(const Event& event) const;

 private:
  // `text` with the URL and its path replaced by "<redacted>".
  std::string Redact(std::string text) const;

  const std::string name_;
  const HttpSinkOptions options_;
  aws::HttpClient& http_;
};

// "Deploy failed", "Drift detected", ...: an event kind for people.
std::string EventTitle(EventKind kind);
// The first 7 characters of a commit id ("" stays "").
std::string ShortSha(const std::string& revision);
// `text` as one line of valid UTF-8 of at most `max_bytes` (line breaks become spaces; "..."
// marks a cut).
std::string OneLine(const std::string& text, size_t max_bytes);

}  // namespace ecsync::notify
