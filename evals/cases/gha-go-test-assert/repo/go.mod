module github.com/acme-labs/timeparse

go 1.23.4
