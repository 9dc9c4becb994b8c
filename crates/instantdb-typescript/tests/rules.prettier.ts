// Docs: https://www.instantdb.com/docs/permissions

import type { InstantRules } from "@instantdb/core";

const rules = {
  "10": null,
  a: {
    bind: [
      "isOwner",
      'auth.id != null && auth.id == data.ownerId && auth.email == "x"',
      "b",
    ],
    allow: {
      view: "auth.id != null && auth.id == data.ownerId && auth.email == data.email && 1 == 1",
      create:
        "auth.id != null && auth.id == data.ownerId && auth.email == data.email && 1 == 1",
    },
  },
  $rateLimits: {
    x: {
      limits: [
        {
          capacity: 1,
          refill: {
            amount: 2,
          },
        },
        {
          capacity: 3,
          refill: {},
        },
      ],
    },
  },
  n: [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, -5, 1e21,
  ],
  "x-y": [
    [1, 2],
    [3, 4],
  ],
  s: ["a"],
} satisfies InstantRules;

export default rules;
