# Lectern's reproducible dev shell (`nix develop`): Node 24, FFmpeg, PostgreSQL 17, Redis, jq.
# UNTESTED: the machine this was written on has neither nix nor access to nixpkgs, so this flake has never
# been evaluated. For the same reason no flake.lock is committed: the first `nix develop` writes one; commit it.
{
  description = "Lectern development shell";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
    flake-utils.url = "github:numtide/flake-utils";
  };

  outputs =
    { nixpkgs, flake-utils, ... }:
    flake-utils.lib.eachSystem
      [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ]
      (
        system:
        let
          pkgs = nixpkgs.legacyPackages.${system};
        in
        {
          devShells.default = pkgs.mkShell {
            packages = [
              pkgs.nodejs_24
              pkgs.ffmpeg
              pkgs.postgresql_17
              pkgs.redis
              pkgs.jq
            ];

            # Only prints: starting databases is left to the developer, and with nothing started
            # `npm start` still works on its embedded defaults (PGlite, in-memory cache).
            shellHook = ''
              cat <<'EOF'
              Lectern dev shell: node, ffmpeg, postgres 17, redis, jq.

                npm install && npm start      # embedded defaults, nothing else needed

              Real Postgres and Redis for `npm test`'s integration tests (127.0.0.1, trust auth):
                initdb -D .nix-pg -U postgres --auth=trust
                pg_ctl -D .nix-pg -l .nix-pg/server.log -o "-h 127.0.0.1 -k $PWD/.nix-pg" start
                mkdir -p .nix-redis && redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --dir "$PWD/.nix-redis" --save "" --appendonly no

              Then point the app at them:
                export DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379

              Stop them with: pg_ctl -D .nix-pg stop; redis-cli shutdown
              EOF
            '';
          };
        }
      );
}
