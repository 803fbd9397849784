// Runs every registered test (optionally only those whose name contains
// argv[1]), one line each, then the ##dataplane-stats summary line.
#include <cstring>
#include <exception>
#include <string>

#include "../nl/error.h"
#include "check.h"

int main(int argc, char** argv) {
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int passes = 0;
  int failed = 0;
  int pending = 0;
  for (const check::TestCase& t : check::registry()) {
    if (filter != nullptr && std::strstr(t.name, filter) == nullptr) continue;
    check::failures().clear();
    std::string skipped;
    bool skip = false;
    try {
      t.fn();
    } catch (const check::Abort&) {
      // the failure is already recorded
    } catch (const check::Skip& s) {
      skip = true;
      skipped = s.why;
    } catch (const nl::SystemError& e) {
      check::failures().push_back("uncaught nl::SystemError " + nl::errno_name(e.code) + " in " +
                                  e.syscall + ": " + e.detail);
    } catch (const std::exception& e) {
      check::failures().push_back(std::string("uncaught exception: ") + e.what());
    } catch (...) {
      check::failures().push_back("uncaught non-standard exception");
    }
    const auto& f = check::failures();
    if (!f.empty()) {
      ++failed;
      std::string why = f[0];
      for (size_t i = 1; i < f.size(); ++i) why += "; " + f[i];
      std::printf("not ok - %s: %s\n", t.name, why.c_str());
    } else if (skip) {
      ++pending;
      std::printf("ok - %s # SKIP %s\n", t.name, skipped.c_str());
    } else {
      ++passes;
      std::printf("ok - %s\n", t.name);
    }
    std::fflush(stdout);
  }
  std::printf("##dataplane-stats {\"suite\":\"native\",\"passes\":%d,\"failures\":%d,\"pending\":%d}\n",
              passes, failed, pending);
  return failed == 0 ? 0 : 1;
}
