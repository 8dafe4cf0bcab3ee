#include <stdio.h>
#include "glia/glia.h"
int main(void) {
  printf("glia %s\n", glia_version());
  return 0;
}
