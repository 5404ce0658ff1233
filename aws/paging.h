#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "aws/client.h"
#include "aws/query.h"
#include "base/result.h"

namespace ecsync::aws {

// Where a paginated operation carries its continuation token: the request parameter that
// sends it and the response element (or JSON field) that returns it.
struct PageToken {
  std::string_view request;
  std::string_view response;
};
inline constexpr PageToken kNextToken{"NextToken", "NextToken"};      // CloudFormation
inline constexpr PageToken kEc2NextToken{"NextToken", "nextToken"};   // EC2
inline constexpr PageToken kMarker{"Marker", "NextMarker"};           // ELBv2, EFS
inline constexpr PageToken kJsonNextToken{"nextToken", "nextToken"};  // ECS

// Query and EC2 protocols: calls `action` with `params` page after page, adding the
// previous page's token, until a page returns none, and hands each page's result element
// to `on_page` in order. The first failed call ends the walk with its error; pages
// already handed over stay handed over.
base::Status ForEachQueryPage(AwsClient& client, const ServiceInfo& service,
                              const std::string& action, const QueryParams& params, PageToken token,
                              const std::function<void(pugi::xml_node result)>& on_page);

// Fetches one page of a JSON-protocol operation: the decoded output for the continuation
// token `token` ("" for the first page). How the token travels (a body field in JSON 1.1,
// a query parameter in REST-JSON) is the fetcher's business.
using JsonPageFetch = std::function<base::Result<nlohmann::json>(const std::string& token)>;

// JSON protocols (JSON 1.1 and REST-JSON): fetches page after page until a page's string
// field `token.response` is absent or empty, handing each page to `on_page` in order. Error
// handling as for ForEachQueryPage.
base::Status ForEachJsonPage(const JsonPageFetch& fetch, PageToken token,
                             const std::function<void(const nlohmann::json& page)>& on_page);

}  // namespace ecsync::aws
