// Loaded with LD_PRELOAD into `promptc serve` by Benchmarks/hot_code.py, to find which pages of
// promptc's machine code a run executes, exactly.
//
// The kernel maps a file's neighbouring pages on each page fault ("fault-around", 64 KiB), so
// /proc/PID/pagemap alone says which 64 KiB windows were touched, not which pages. Fault-around
// stays inside one mapping, so this splits the program's executable segment into one mapping per
// page (every other page also writable, which the program never uses, so that neighbours differ
// and cannot merge) and then drops the pages mapped so far. From then on a page is present only
// if it ran. It writes each executable segment's start, end and load address to $PAGE_TRACE_OUT,
// a line each (lld and gold write one).
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

struct trace { FILE *out; int failed; };

static int split_main_program(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct trace *trace = data;
    if (info->dlpi_name != NULL && info->dlpi_name[0] != '\0') return 0;  // the main program has no name
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type != PT_LOAD || !(segment->p_flags & PF_X)) continue;
        uintptr_t start = (info->dlpi_addr + segment->p_vaddr) & ~(uintptr_t)4095;
        uintptr_t end = (info->dlpi_addr + segment->p_vaddr + segment->p_memsz + 4095) & ~(uintptr_t)4095;
        for (uintptr_t page = start; page < end; page += 8192) {
            if (mprotect((void *)page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) { perror("page_trace: mprotect"); trace->failed = 1; return 1; }
        }
        if (madvise((void *)start, end - start, MADV_DONTNEED) != 0) { perror("page_trace: madvise"); trace->failed = 1; return 1; }
        fprintf(trace->out, "%lx %lx %lx\n", (unsigned long)start, (unsigned long)end, (unsigned long)info->dlpi_addr);
    }
    return 1;
}

__attribute__((constructor)) static void page_trace_start(void) {
    const char *out_path = getenv("PAGE_TRACE_OUT");
    if (out_path == NULL) return;
    // Written to a temporary name and renamed when whole, so that the file exists only if every
    // segment was split.
    char partial[4096];
    if (snprintf(partial, sizeof partial, "%s.partial", out_path) >= (int)sizeof partial) { fputs("page_trace: path too long\n", stderr); return; }
    struct trace trace = { fopen(partial, "w"), 0 };
    if (trace.out == NULL) { perror("page_trace: fopen"); return; }
    dl_iterate_phdr(split_main_program, &trace);
    if (fclose(trace.out) != 0) { perror("page_trace: writing the range file"); return; }
    if (!trace.failed && rename(partial, out_path) != 0) perror("page_trace: renaming the range file");
}
