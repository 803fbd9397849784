// Cross-modifying code check for the emulator (issue 14): thread W, pinned to
// CPU 1, rewrites the immediate of `mov eax, imm32; ret` a few times per round
// while thread X, pinned to CPU 0, keeps calling it.  After W's last store of a
// round, X must get that value: a CPU keeps no stale copy of rewritten code
// (x86 needs no flush for that).  qemu 7.2's multi-threaded TCG sometimes keeps
// a translation made while W was storing, and X then runs the old code for
// good.  Run it in the VM (it needs 2 vCPUs):
//
//   gcc -O2 -pthread -o /tmp/tcg-smc-check scripts/vm/tcg-smc-check.c
//   scripts/vm/run.sh /tmp/tcg-smc-check ROUNDS STORES_PER_ROUND   # e.g. 1500 3
//
// Prints each stale round and "N of M rounds ran stale code"; exit 1 if N > 0.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static volatile uint32_t *imm;
static atomic_int go, done;
static int rounds, perround;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static void pin(int cpu) { cpu_set_t s; CPU_ZERO(&s); CPU_SET(cpu, &s); sched_setaffinity(0, sizeof s, &s); }

static void *writer(void *arg) {
  (void)arg;
  pin(1);
  for (int r = 1; r <= rounds; r++) {
    while (atomic_load(&go) != r) ;
    for (int k = 1; k <= perround; k++) *imm = (uint32_t)(r * 1000 + k);
    atomic_store(&done, r);
  }
  return NULL;
}

int main(int argc, char **argv) {
  rounds = argc > 1 ? atoi(argv[1]) : 1000;
  perround = argc > 2 ? atoi(argv[2]) : 3;
  uint8_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); return 2; }
  static const uint8_t code[] = {0x90, 0x90, 0x90, 0xb8, 0, 0, 0, 0, 0xc3};
  memcpy(p, code, sizeof code);
  imm = (volatile uint32_t *)(p + 4);
  uint32_t (*f)(void) = (uint32_t (*)(void))p;
  pin(0);
  pthread_t w;
  pthread_create(&w, NULL, writer, NULL);
  int stale = 0;
  for (int r = 1; r <= rounds; r++) {
    f();
    atomic_store(&go, r);
    while (atomic_load(&done) != r) f();
    uint32_t want = (uint32_t)(r * 1000 + perround), v = f();
    double t0 = now();
    while (v != want && now() - t0 < 0.5) v = f();
    if (v != want) { stale++; printf("round %d: STALE code returns %u, %u was written\n", r, v, want); *imm = want; }
  }
  pthread_join(w, NULL);
  printf("tcg-smc-check: %d of %d rounds ran stale code\n", stale, rounds);
  return stale ? 1 : 0;
}
