// Where a number came from. Every quantity that enters the catalog from the world
// (a datasheet, a paper, a price list) keeps one of these.
#pragma once

#include <string>

namespace fleetsim {

struct SourceRef {
  std::string id;  // key in the file's `sources:` map
  std::string title;
  std::string publisher;
  std::string url;
  std::string date;  // YYYY-MM or YYYY-MM-DD
  std::string note;  // per-number remark (e.g. "derived from whitepaper ratio")
};

// A number (in base units) with its provenance.
struct SourcedValue {
  double value = 0.0;
  SourceRef source;
};

}  // namespace fleetsim
