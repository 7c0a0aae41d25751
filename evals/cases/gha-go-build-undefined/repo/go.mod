module github.com/acme-labs/ledger

go 1.23.4

require github.com/jackc/pgx/v5 v5.7.1
