module github.com/nuanxin/nuanxin/cmd/nuanxin

go 1.26

require github.com/nuanxin/nuanxin/pkg v0.0.0

replace github.com/nuanxin/nuanxin/pkg => ../../pkg
