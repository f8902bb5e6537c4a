// libFuzzer's entry for programs that have a main of their own. SwiftPM gives an executable's
// main another name on Linux (to let tests link it), so each fuzz target defines that name and
// hands its input callback to the driver here.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
