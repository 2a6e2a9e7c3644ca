// What a KissJS app in TypeScript already has: its own untyped `kiss`.
declare const kiss: any;
