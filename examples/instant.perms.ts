// Docs: https://www.instantdb.com/docs/permissions

import type { InstantRules } from "@instantdb/react";

const rules = {
  $default: {
    allow: {
      $default: "false",
    },
  },
  attrs: {
    allow: {
      create: "false",
    },
  },
  todos: {
    allow: {
      view: "isOwner",
      create: "isOwner",
      update: "isOwner",
      delete: "isOwner",
    },
    bind: [
      "isOwner",
      'auth.id != null && auth.id in data.ref("owner.user.id")',
    ],
  },
  profiles: {
    allow: {
      view: "true",
      update: 'auth.id in data.ref("user.id")',
    },
    fields: {
      bio: 'auth.id in data.ref("user.id")',
    },
  },
  $rateLimits: {
    todoCreates: {
      limits: [
        {
          capacity: 100,
          refill: {
            amount: 100,
            period: "1 hour",
          },
        },
      ],
    },
  },
} satisfies InstantRules;

export default rules;
