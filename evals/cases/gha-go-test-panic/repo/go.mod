module github.com/acme-labs/queue

go 1.22.10
