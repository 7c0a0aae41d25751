module github.com/acme-labs/uploader

go 1.23.4
