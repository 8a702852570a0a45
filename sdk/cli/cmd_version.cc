// embedkit version: library version, ABI and the runtime backend/SIMD target.
#include <ostream>

#include "command.h"
#include "json_writer.h"
#include "session.h"

namespace ek::cli {
namespace {

int Run(const Invocation& inv) {
  Session session(inv.global);
  ek_context_info info = {};
  info.struct_size = sizeof info;
  Check(ek_context_info_get(session.context(), &info), "ek_context_info_get");
  if (inv.global.json) {
    JsonWriter w;
    w.BeginObject()
        .Key("version").String(ek_version())
        .Key("abi").String(AbiText(ek_abi_version()))
        .Key("abi_version").UInt(ek_abi_version())
        .Key("header_abi").String(AbiText(EK_ABI_VERSION))
        .Key("backend").String(info.backend ? info.backend : "")
        .Key("simd_target").String(info.simd_target ? info.simd_target : "")
        .Key("threads").UInt(info.num_threads)
        .EndObject();
    inv.out << w.str() << '\n';
  } else {
    inv.out << "embedkit " << ek_version() << " (ABI " << AbiText(ek_abi_version())
            << ", CLI built against ABI " << AbiText(EK_ABI_VERSION) << ")\n"
            << "backend " << (info.backend ? info.backend : "?") << ", SIMD target "
            << (info.simd_target ? info.simd_target : "?") << ", " << info.num_threads
            << " threads\n";
  }
  return 0;
}

const CommandSpec kSpec{
    .path = "version",
    .summary = "print the library version, ABI version, backend and SIMD target",
    .positionals = {},
    .options = {},
    .details = "Also available as 'embedkit --version'.",
    .examples = "embedkit version\nembedkit --json version",
};

}  // namespace

const Command& VersionCommand() {
  static const Command command{&kSpec, &Run};
  return command;
}

}  // namespace ek::cli
