// Docs: https://www.instantdb.com/docs/modeling-data

import { i } from "@instantdb/react";

const _schema = i.schema({
  entities: {
    $files: i.entity({
      path: i.string().unique().indexed(),
      url: i.string(),
    }),
    $users: i.entity({
      email: i.string().unique().indexed().optional(),
    }),
    profiles: i.entity({
      bio: i.string().optional(),
      displayName: i.string(),
      joinedAt: i.date().indexed(),
    }),
    todos: i.entity({
      createdAt: i.date().indexed(),
      done: i.boolean(),
      priority: i.number().indexed().optional(),
      tags: i.json().optional(),
      text: i.string(),
    }),
  },
  links: {
    profileUser: {
      forward: {
        on: "profiles",
        has: "one",
        label: "user",
        onDelete: "cascade",
      },
      reverse: {
        on: "$users",
        has: "one",
        label: "profile",
      },
    },
    todoOwner: {
      forward: {
        on: "todos",
        has: "one",
        label: "owner",
        required: true,
      },
      reverse: {
        on: "profiles",
        has: "many",
        label: "todos",
      },
    },
  },
  rooms: {
    todoList: {
      presence: i.entity({
        name: i.string(),
        typing: i.boolean().optional(),
      }),
      topics: {
        celebrate: i.entity({
          todoId: i.string(),
        }),
      },
    },
  },
});

// This helps TypeScript display nicer intellisense
type _AppSchema = typeof _schema;
interface AppSchema extends _AppSchema {}
const schema: AppSchema = _schema;

export type { AppSchema };
export default schema;
