// The one C++ file of xdsd: RE2 has no C API, and a regex a client cannot compile would be NACKed.
#include "regex.h"

#include <re2/re2.h>

#include <cstdio>

extern "C" const char *regex_problem(const char *pattern, char *buf, size_t len) {
  RE2::Options opt;
  opt.set_log_errors(false);
  RE2 re(pattern, opt);
  if (re.ok()) return nullptr;
  std::snprintf(buf, len, "%s", re.error().c_str());
  return buf;
}
