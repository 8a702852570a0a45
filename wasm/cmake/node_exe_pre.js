// Prepended (--pre-js) to the test programs of the WASM build, which run under node.
// Emscripten 3.1.6's loader fetch()es the .wasm by file path when a global fetch
// exists, and Node 20's fetch rejects file paths ("Failed to parse URL"). Shadowing
// fetch inside the generated script makes it read the file with fs instead.
var fetch = undefined;
